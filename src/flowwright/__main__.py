from flowwright.entrypoints.cli.main import main

main()
