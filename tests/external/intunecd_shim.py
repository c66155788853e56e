"""Run IntuneCD's backup against graphsim. Executed by the throw-away venv's Python, never imported.

IntuneCD hard-codes Microsoft's hosts (``AUTHORITY = "https://login.microsoftonline.com/"`` in
``intunecdlib/get_accesstoken.py`` and ``https://graph.microsoft.com`` in every module). This shim,
inside the throw-away process only, aims them at the simulator: the authority constant, MSAL's
instance discovery (the simulator has none) and every ``requests`` URL on graph.microsoft.com. The
simulator's CA comes from ``REQUESTS_CA_BUNDLE``. Arguments after the script are IntuneCD's.

Environment: ``GRAPHSIM_LOGIN`` and ``GRAPHSIM_GRAPH`` (the simulator's bases), plus IntuneCD's own
``TENANT_NAME``, ``CLIENT_ID``, ``CLIENT_SECRET``.
"""

import os
import sys

import msal
import requests

GRAPH = "https://graph.microsoft.com"
SIM_LOGIN = os.environ["GRAPHSIM_LOGIN"].rstrip("/")
SIM_GRAPH = os.environ["GRAPHSIM_GRAPH"].rstrip("/")

_msal_init = msal.ConfidentialClientApplication.__init__


def _init(self, *args, **kwargs):
    kwargs["instance_discovery"] = False
    _msal_init(self, *args, **kwargs)


msal.ConfidentialClientApplication.__init__ = _init

_request = requests.Session.request


def _aimed(self, method, url, *args, **kwargs):
    if isinstance(url, str) and url.startswith(GRAPH):
        url = SIM_GRAPH + url[len(GRAPH) :]
    return _request(self, method, url, *args, **kwargs)


requests.Session.request = _aimed

from IntuneCD.intunecdlib import get_accesstoken  # noqa: E402

get_accesstoken.AUTHORITY = SIM_LOGIN + "/"

from IntuneCD.run_backup import start  # noqa: E402

sys.argv = ["IntuneCD-startbackup", *sys.argv[1:]]
start()
