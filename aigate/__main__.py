from aigate.cli import main

main()
