"""CRM exports -> validated frames. One module per source format."""

from walkaway.importers.loading import PreparedImport, prepare_import
from walkaway.importers.registry import FORMATS, detect_format

__all__ = ["FORMATS", "PreparedImport", "detect_format", "prepare_import"]
