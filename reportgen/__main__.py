from reportgen.launch import main

main()
