from luckyctl.cli.app import main

main()
