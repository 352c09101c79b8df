import sys

from psychometrics.cli import main

if __name__ == "__main__":  # a worker process that starts fresh imports this module too
    sys.exit(main())
