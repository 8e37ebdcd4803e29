from gobuild.main import main

main()
