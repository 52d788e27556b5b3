"""A SAML 2.0 identity provider made with pysaml2 (and xmlsec1), for the
integration tests: an implementation no one in this project wrote, so a
bug shared by our SP and our own test IdP cannot pass unnoticed.

It makes its own key and certificate, listens on 127.0.0.1 on a free
port and prints `listening <base URL>` as its first line. It exits when its
standard input closes (the test that started it is gone).

  GET  /metadata      the IdP's metadata, written by pysaml2
  POST /sp-metadata   the SP's metadata (the body), loaded as pysaml2 loads
                      a federation's; needed before the first request
  POST /mode          how the next answers are made (form fields):
                      sign_response, sign_assertion = 0|1;
                      algorithms = sha256 | sha1 (pysaml2's own default);
                      encrypt = none | aes256-gcm | aes256-cbc | aes128-gcm
                            | 3des (pysaml2's own default, untouched);
                      person = name_id, and attributes as `uri=value` lines
  GET  /sso           the HTTP-Redirect binding: pysaml2 checks the request
                      (its signature with the SP's metadata key) and
                      answers with the HTTP-POST form for the ACS
"""

import datetime
import os
import shutil
import sys
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import RSA_OAEP_MGF1P, get_pem_wrapped_unwrapped, make_temp, pre_encryption_part
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

# pysaml2 has no setting for the block cipher: its `_encrypt_assertion`
# always asks for 3DES. AES is asked for by the same call with another
# template and session key (what xmlsec1 encrypts with).
ALGORITHMS = {
    "sha256": (SIG_RSA_SHA256, DIGEST_SHA256),
    "sha1": (SIG_RSA_SHA1, DIGEST_SHA1),
}

CIPHERS = {
    "aes256-gcm": ("http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256"),
    "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"),
    "aes256-cbc": ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256"),
}

MODE = {
    "sign_response": True,
    "sign_assertion": True,
    "algorithms": "sha256",
    "encrypt": "none",
    "name_id": "person@idp.example",
    "authn_class": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    "attributes": {},
}
LOCK = threading.Lock()


def key_and_cert(directory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pysaml2 test IdP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file = os.path.join(directory, "idp-key.pem")
    cert_file = os.path.join(directory, "idp-cert.pem")
    with open(key_file, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def make_server(base, directory):
    key_file, cert_file = key_and_cert(directory)
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base}/idp",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{base}/sso", BINDING_HTTP_REDIRECT)],
                    },
                    "want_authn_requests_signed": True,
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                }
            },
            "key_file": key_file,
            "cert_file": cert_file,
            "xmlsec_binary": shutil.which("xmlsec1"),
            "metadata": {},
            "accepted_time_diff": 60,
        }
    )
    server = Server(config=config)
    pysaml2_encrypt = server._encrypt_assertion

    def encrypt(encrypt_cert, sp_entity_id, response, node_xpath=None):
        cipher = MODE["encrypt"]
        if cipher not in CIPHERS:
            return pysaml2_encrypt(encrypt_cert, sp_entity_id, response, node_xpath)
        algorithm, session_key = CIPHERS[cipher]
        _, cert = server.metadata.certs(sp_entity_id, "any", "encryption")[0]
        wrapped, unwrapped = get_pem_wrapped_unwrapped(cert)
        tmp = make_temp(wrapped.encode("ascii"), decode=False)
        template = pre_encryption_part(msg_enc=algorithm, key_enc=RSA_OAEP_MGF1P, encrypt_cert=unwrapped)
        return server.sec.encrypt_assertion(
            response, tmp.name, template, key_type=session_key, node_xpath=node_xpath
        )

    server._encrypt_assertion = encrypt
    return server, str(entity_descriptor(config))


class Handler(BaseHTTPRequestHandler):
    server_version = "pysaml2-test-idp"

    def log_message(self, fmt, *args):
        sys.stderr.write("saml_idp: " + (fmt % args) + "\n")

    def answer(self, status, body, content_type="text/plain; charset=utf-8"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/metadata":
            return self.answer(200, METADATA, "application/samlmetadata+xml")
        if url.path == "/sso":
            return self.sso(urllib.parse.parse_qs(url.query))
        self.answer(404, "not found")

    def do_POST(self):
        if self.path == "/sp-metadata":
            IDP.metadata.load("inline", self.body())
            return self.answer(200, "loaded")
        if self.path == "/mode":
            form = urllib.parse.parse_qs(self.body())
            one = lambda k, d: form.get(k, [d])[0]
            with LOCK:
                MODE["sign_response"] = one("sign_response", "1") == "1"
                MODE["sign_assertion"] = one("sign_assertion", "1") == "1"
                MODE["encrypt"] = one("encrypt", "none")
                MODE["algorithms"] = one("algorithms", "sha256")
                MODE["name_id"] = one("name_id", MODE["name_id"])
                MODE["authn_class"] = one("authn_class", MODE["authn_class"])
                attributes = {}
                for line in form.get("attribute", []):
                    name, _, value = line.partition("=")
                    attributes.setdefault(name, []).append(value)
                MODE["attributes"] = attributes
            return self.answer(200, "ok")
        self.answer(404, "not found")

    def sso(self, query):
        one = lambda k: query.get(k, [None])[0]
        try:
            request = IDP.parse_authn_request(
                one("SAMLRequest"),
                BINDING_HTTP_REDIRECT,
                relay_state=one("RelayState"),
                sigalg=one("SigAlg"),
                signature=one("Signature"),
            )
        except Exception as e:  # pysaml2 refused the request: say why
            return self.answer(400, f"pysaml2 refused the AuthnRequest: {e!r}")
        if request is None:
            return self.answer(400, "pysaml2 refused the AuthnRequest")
        with LOCK:
            mode = dict(MODE)
        args = IDP.response_args(request.message, [BINDING_HTTP_POST])
        encrypt = mode["encrypt"] != "none"
        sign_alg, digest_alg = ALGORITHMS[mode["algorithms"]]
        response = IDP.create_authn_response(
            mode["attributes"],
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=mode["name_id"]),
            authn={"class_ref": mode["authn_class"], "authn_auth": f"{BASE}/idp"},
            sign_response=mode["sign_response"],
            sign_assertion=mode["sign_assertion"],
            encrypt_assertion=encrypt,
            encrypt_assertion_self_contained=True,
            sign_alg=sign_alg,
            digest_alg=digest_alg,
            **args,
        )
        form = IDP.apply_binding(
            BINDING_HTTP_POST, str(response), args["destination"], one("RelayState") or "", response=True
        )
        self.answer(200, form["data"], "text/html; charset=utf-8")


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        BASE = f"http://127.0.0.1:{httpd.server_address[1]}"
        IDP, METADATA = make_server(BASE, directory)
        threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
        print(f"listening {BASE}", flush=True)
        httpd.serve_forever()
