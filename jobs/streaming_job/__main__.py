"""spark-submit's primary file (upload it as e.g. streaming_job_main.py) and `python -m streaming_job`.

Absolute import on purpose: spark-submit runs this file as a script, with the package
itself on the path through --py-files.
"""

import sys

from streaming_job.app import main

if __name__ == "__main__":
    sys.exit(main())
