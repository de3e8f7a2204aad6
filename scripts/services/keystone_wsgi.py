"""Runs Keystone's public WSGI application on 127.0.0.1 with wsgiref, one request at a
time (the tests need no more). Usage: keystone_wsgi.py CONFIG_FILE PORT"""
import os
import sys

os.environ["OS_KEYSTONE_CONFIG_FILES"] = sys.argv[1]
PORT = int(sys.argv[2])
sys.argv = sys.argv[:1]  # oslo.config reads the command line too
sys.path.pop(0)  # this directory: its keystone.py is the fixture, not the package

from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server  # noqa: E402

from keystone.server.wsgi import initialize_public_application  # noqa: E402


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("127.0.0.1", PORT, initialize_public_application(), server_class=WSGIServer,
            handler_class=Quiet).serve_forever()
