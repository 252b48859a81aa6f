from industrybrain.cli import main

main()
