from walkaway.cli import main

main()
