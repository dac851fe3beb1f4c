"""The report's libraries and font are loaded by the first report, not at start-up: most
evaluation processes never make a report, and they held some 60 MiB for it."""

import subprocess
import sys


def test_starting_the_service_loads_no_report_library() -> None:
    probe = (
        "import sys\n"
        "from evaluation_service.main import create_app\n"
        "create_app()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'reportlab', 'openpyxl', 'pygal'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
