"""Local sandbox of the shop estate: moto (AWS, two regions) + two Kubernetes API emulators + a Helm CLI.

Run `python -m sandbox up` from the repository root, then `source .sandbox/env`. See sandbox/cli.py.
"""
