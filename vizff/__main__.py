"""`python -m vizff` runs the CLI."""

from vizff.launch import main

if __name__ == "__main__":  # not when a worker process imports the main module
    main()
