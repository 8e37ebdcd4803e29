from gobuild.cli import main

main()
