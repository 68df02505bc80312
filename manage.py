#!/usr/bin/env python
"""Django's command-line utility for dxpia (dxpia/manage.py; installed, the same is ``dxpia-manage``)."""
from dxpia.manage import main

if __name__ == "__main__":
    main()
