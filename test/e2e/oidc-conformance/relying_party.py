"""An OpenID Connect relying party that Rampart did not write: Authlib + requests (Debian's
python3-authlib, python3-requests, python3-pyotp), driven by conformance.test.ts.

It reads its context (issuer, trust anchor, clients, a demo user) as JSON on stdin, runs every case
in order against the running platform — through the gateway, as any client would — and prints one
JSON object per case on stdout: {"case": name, "ok": bool, "detail": text}. A case never stops the
others: its failure is reported and the next one runs. Expectations are the specifications', cited
next to each check, not Rampart's.
"""

import base64
import json
import re
import sys
import time
import traceback
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

import pyotp
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

CONTEXT = json.load(sys.stdin)
ISSUER = CONTEXT["issuer"]
GATEWAY = CONTEXT["gateway"]
CA = CONTEXT["ca"]
REDIRECT_URI = CONTEXT["redirectUri"]
POST_LOGOUT_URI = CONTEXT["postLogoutRedirectUri"]
USER = CONTEXT["user"]
TIMEOUT = 20


class Failed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


def http():
    """A requests session that trusts the platform's CA alone, whatever the environment says."""
    session = requests.Session()
    session.verify = CA
    session.trust_env = False
    return session


def client(client_id, secret=None, scope="openid"):
    session = OAuth2Session(
        client_id,
        secret,
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
    )
    session.verify = CA
    session.trust_env = False
    return session


class Forms(HTMLParser):
    """The forms of a page: action, method and the fields they would submit."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "method": attributes.get("method", "get"), "fields": {}})
        elif tag in ("input", "button") and self.forms and attributes.get("name"):
            if tag == "input" or "value" in attributes:
                self.forms[-1]["fields"].setdefault(attributes["name"], attributes.get("value") or "")


def forms_of(html):
    parser = Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    """A user agent for the sign-in pages: one cookie jar (the SSO session), redirects followed
    inside the issuer's origin, stopping at the first one that leaves it (the client's callback)."""

    def __init__(self):
        self.session = http()
        self.origin = "{0.scheme}://{0.netloc}".format(urlparse(ISSUER))

    def follow(self, response):
        for _ in range(15):
            location = response.headers.get("location")
            if response.status_code not in (301, 302, 303, 307) or location is None:
                return response
            target = urljoin(response.url, location)
            if not target.startswith(self.origin):
                return response
            response = self.session.get(target, allow_redirects=False, timeout=TIMEOUT)
        raise Failed("too many redirects")

    def get(self, url):
        return self.follow(self.session.get(url, allow_redirects=False, timeout=TIMEOUT))

    def post(self, url, data):
        return self.follow(
            self.session.post(url, data=data, headers={"origin": self.origin}, allow_redirects=False, timeout=TIMEOUT)
        )

    def submit(self, page, fields):
        forms = forms_of(page.text)
        expect(forms, f"no form on {page.url} (status {page.status_code})")
        form = forms[0]
        return self.post(urljoin(page.url, form["action"]), {**form["fields"], **fields})

    def sign_in(self, page):
        """Password, then the TOTP second factor, as the demo user; returns the callback redirect."""
        page = self.submit(page, {"username": USER["username"], "password": USER["password"]})
        if "location" in page.headers:
            return page
        totp = pyotp.TOTP(USER["totpSecret"])
        for _ in range(3):
            if 30 - int(time.time()) % 30 < 3:
                time.sleep(3)  # not a code about to expire on the way
            page = self.submit(page, {"method": "totp", "code": totp.now()})
            if "location" in page.headers:
                return page
            # A TOTP code is single-use (another sign-in may have used this one): the next window's.
            time.sleep(30 - int(time.time()) % 30 + 1)
        raise Failed(f"sign-in did not finish: {page.status_code} {page.url}")


def discover():
    response = http().get(ISSUER + "/.well-known/openid-configuration", timeout=TIMEOUT)
    expect(response.status_code == 200, f"discovery answered {response.status_code}")
    return response.json()


META = discover()
BROWSER = Browser()
JWKS = None


def jwks():
    return JsonWebKey.import_key_set(http().get(META["jwks_uri"], timeout=TIMEOUT).json())


def callback_params(response):
    location = response.headers.get("location", "")
    expect(location.startswith(REDIRECT_URI), f"expected a redirect to the client, got {response.status_code} {location!r}")
    return location, {key: values[0] for key, values in parse_qs(urlparse(location).query).items()}


def authorize(oauth, *, method="GET", scope=None, sign_in=True, extra=None):
    """The authorization code flow with PKCE and a nonce (OIDC Core §3.1), through the real pages."""
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = oauth.create_authorization_url(
        META["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **({"scope": scope} if scope else {}), **(extra or {})
    )
    if method == "POST":
        # OIDC Core §3.1.2.1: the same request, form-serialized in the body of a POST.
        query = parse_qs(urlparse(url).query)
        response = BROWSER.post(META["authorization_endpoint"], {key: values[0] for key, values in query.items()})
    else:
        response = BROWSER.get(url)
    if "location" not in response.headers or not response.headers["location"].startswith(REDIRECT_URI):
        expect(sign_in, f"expected single sign-on to answer at once, got {response.status_code}")
        response = BROWSER.sign_in(response)
    location, params = callback_params(response)
    expect(params.get("state") == state, "state comes back unchanged (RFC 6749 §4.1.2)")
    expect(params.get("iss") == ISSUER, "iss in the authorization response (RFC 9207)")
    token = oauth.fetch_token(
        META["token_endpoint"], authorization_response=location, code_verifier=verifier, timeout=TIMEOUT
    )
    return token, nonce


def id_token_claims(oauth_client_id, token, nonce):
    claims = jwt.decode(
        token["id_token"],
        jwks(),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": ISSUER}, "aud": {"essential": True, "value": oauth_client_id}},
        claims_params={"nonce": nonce, "client_id": oauth_client_id},
    )
    claims.validate(leeway=30)
    return claims


def header_of(compact):
    part = compact.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def gateway_status(path, access_token):
    return http().get(GATEWAY + path, headers={"authorization": "Bearer " + access_token}, timeout=TIMEOUT).status_code


RP = CONTEXT["clients"]["rp"]
RS256 = CONTEXT["clients"]["rs256"]
PUBLIC = CONTEXT["clients"]["public"]
STATE = {}


def case_discovery():
    expect(META["issuer"] == ISSUER, "issuer equals the discovery URL's (Discovery §4.3)")
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                 "introspection_endpoint", "revocation_endpoint", "end_session_endpoint"):
        expect(META.get(name, "").startswith(ISSUER + "/"), f"{name} is served below the issuer")
    algs = META.get("id_token_signing_alg_values_supported", [])
    expect("RS256" in algs, f"RS256 among id_token_signing_alg_values_supported (Discovery §3), got {algs}")
    expect("ES256" in algs, "ES256 offered too")
    published = {key["alg"] for key in http().get(META["jwks_uri"], timeout=TIMEOUT).json()["keys"]}
    expect({"ES256", "RS256"} <= published, f"a key for each offered algorithm is published, got {published}")
    expect("none" not in META.get("introspection_endpoint_auth_methods_supported", ["none"]),
           "introspection is not offered to unauthenticated clients (RFC 8414 §2)")


def case_code_flow():
    oauth = client(RP["id"], RP["secret"], scope="openid profile email groups orders:read")
    token, nonce = authorize(oauth)
    claims = id_token_claims(RP["id"], token, nonce)
    expect(header_of(token["id_token"])["alg"] == "ES256", "ES256 is the default ID token algorithm")
    STATE["rp"] = {"oauth": oauth, "token": token, "claims": claims}
    expect(gateway_status("/orders", token["access_token"]) == 200, "the gateway accepts the access token")


def case_id_token_sid():
    claims = STATE["rp"]["claims"]
    if "sid" in META.get("claims_supported", []):
        expect(isinstance(claims.get("sid"), str) and claims["sid"], "claims_supported lists sid, so the ID token carries it")


def userinfo_case(method):
    rp = STATE["rp"]
    response = http().request(
        method, META["userinfo_endpoint"], headers={"authorization": "Bearer " + rp["token"]["access_token"]}, timeout=TIMEOUT
    )
    expect(response.status_code == 200, f"{method} userinfo answered {response.status_code}: {response.text[:200]}")
    info = response.json()
    expect(info.get("sub") == rp["claims"]["sub"], "userinfo sub equals the ID token's (OIDC Core §5.3.2)")
    expect(info.get("preferred_username") == USER["username"], "the profile scope's claims")
    expect("groups" in info, "the groups scope's claim")
    return info


def case_userinfo_get():
    userinfo_case("GET")


def case_userinfo_post():
    userinfo_case("POST")


def case_userinfo_scopes():
    oauth = client(RP["id"], RP["secret"], scope="openid")
    token, _ = authorize(oauth, sign_in=False)
    response = http().get(META["userinfo_endpoint"], headers={"authorization": "Bearer " + token["access_token"]}, timeout=TIMEOUT)
    expect(response.status_code == 200, f"userinfo answered {response.status_code}")
    info = response.json()
    expect(set(info) == {"sub"}, f"openid alone yields sub alone (OIDC Core §5.4), got {sorted(info)}")
    cli = CONTEXT["clients"]["cli"]
    service = http().post(META["token_endpoint"], data={"grant_type": "client_credentials", "scope": "orders:read"},
                          auth=(cli["id"], cli["secret"]), timeout=TIMEOUT).json()
    refused = http().get(META["userinfo_endpoint"], headers={"authorization": "Bearer " + service["access_token"]}, timeout=TIMEOUT)
    expect(refused.status_code == 401, f"a token not granted openid is refused at userinfo, got {refused.status_code}")


def introspect(token, auth):
    return http().post(META["introspection_endpoint"], data={"token": token}, auth=auth, timeout=TIMEOUT)


def case_introspection_jwt():
    rp = STATE["rp"]
    response = introspect(rp["token"]["access_token"], (RP["id"], RP["secret"]))
    expect(response.status_code == 200, f"introspection answered {response.status_code}: {response.text[:200]}")
    answer = response.json()
    expect(answer.get("active") is True, f"the client's own live access token is active (RFC 7662 §2.2): {answer}")
    expect(answer.get("sub") == rp["claims"]["sub"] and answer.get("client_id") == RP["id"], "sub and client_id")
    expect("orders:read" in answer.get("scope", "").split(), "scope")
    refresh = introspect(rp["token"]["refresh_token"], (RP["id"], RP["secret"])).json()
    expect(refresh.get("active") is True, "the refresh token is active too")
    api, cli = CONTEXT["clients"]["api"], CONTEXT["clients"]["cli"]
    by_resource_server = introspect(rp["token"]["access_token"], (api["id"], api["secret"])).json()
    expect(by_resource_server.get("active") is True and by_resource_server.get("sub") == rp["claims"]["sub"],
           f"a resource server (resourceServer: true) learns about every token (RFC 7662 §2.2): {by_resource_server}")
    by_other = introspect(rp["token"]["access_token"], (cli["id"], cli["secret"])).json()
    expect(by_other == {"active": False}, "another client learns nothing about a token not its own (RFC 7662 §4)")
    for junk in ("not-a-token", rp["token"]["id_token"], rp["token"]["access_token"][:-4] + "AAAA"):
        answer = introspect(junk, (RP["id"], RP["secret"]))
        expect(answer.status_code == 200 and answer.json() == {"active": False},
               f"anything else is {{\"active\": false}}, never an error: {answer.status_code} {answer.text[:120]}")


def case_authorization_post():
    oauth = client(RP["id"], RP["secret"], scope="openid profile")
    token, nonce = authorize(oauth, method="POST", sign_in=False)
    claims = id_token_claims(RP["id"], token, nonce)
    expect(claims["sub"] == STATE["rp"]["claims"]["sub"], "the same user, by single sign-on")


def case_pushed_authorization():
    """Discovery advertises a PAR endpoint (RFC 9126): it must work, through the gateway."""
    endpoint = META.get("pushed_authorization_request_endpoint")
    if endpoint is None:
        return
    oauth = client(RP["id"], RP["secret"], scope="openid")
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(META["authorization_endpoint"], code_verifier=verifier, nonce="par")
    params = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    pushed = http().post(endpoint, data=params, auth=(RP["id"], RP["secret"]), timeout=TIMEOUT)
    expect(pushed.status_code == 201, f"PAR answers 201 (RFC 9126 §2.2): {pushed.status_code} {pushed.text[:160]}")
    request_uri = pushed.json()["request_uri"]
    response = BROWSER.get(META["authorization_endpoint"] + "?" + requests.compat.urlencode({"client_id": RP["id"], "request_uri": request_uri}))
    location, answer = callback_params(response)
    expect(answer.get("state") == state, "the pushed request's state comes back")
    token = oauth.fetch_token(META["token_endpoint"], authorization_response=location, code_verifier=verifier, timeout=TIMEOUT)
    expect("id_token" in token, "and its code is exchanged")


def case_rs256_id_token():
    oauth = client(RS256["id"], RS256["secret"], scope="openid profile")
    token, nonce = authorize(oauth, sign_in=False)
    expect(header_of(token["id_token"])["alg"] == "RS256", "the client registered for RS256 gets RS256 ID tokens")
    claims = id_token_claims(RS256["id"], token, nonce)
    expect(claims["sub"] == STATE["rp"]["claims"]["sub"], "verified with the published RSA key")


def case_error_codes():
    public_cc = http().post(META["token_endpoint"], data={"grant_type": "client_credentials", "client_id": PUBLIC["id"]}, timeout=TIMEOUT)
    expect(public_cc.status_code == 400 and public_cc.json().get("error") == "unauthorized_client",
           f"a grant type the client is not registered for is unauthorized_client (RFC 6749 §5.2): {public_cc.text[:160]}")
    rp_cc = http().post(META["token_endpoint"], data={"grant_type": "client_credentials"}, auth=(RP["id"], RP["secret"]), timeout=TIMEOUT)
    expect(rp_cc.status_code == 400 and rp_cc.json().get("error") == "unauthorized_client", f"also for a confidential client: {rp_cc.text[:160]}")
    access_token = STATE["rp"]["token"]["access_token"]
    for endpoint in ("introspection_endpoint", "revocation_endpoint"):
        anonymous = http().post(META[endpoint], data={"token": access_token}, timeout=TIMEOUT)
        expect(anonymous.status_code == 401 and anonymous.json().get("error") == "invalid_client",
               f"{endpoint} without client authentication is 401 invalid_client: {anonymous.status_code} {anonymous.text[:160]}")
    by_public = http().post(META["introspection_endpoint"], data={"token": access_token, "client_id": PUBLIC["id"]}, timeout=TIMEOUT)
    expect(by_public.status_code == 401 and by_public.json().get("error") == "invalid_client",
           f"a public client cannot introspect (RFC 7662 §2.1): {by_public.status_code} {by_public.text[:160]}")


def case_revocation_jwt():
    oauth = client(RP["id"], RP["secret"], scope="openid orders:read")
    token, _ = authorize(oauth, sign_in=False)
    access_token = token["access_token"]
    expect(gateway_status("/orders", access_token) == 200, "accepted before the revocation")
    response = oauth.revoke_token(META["revocation_endpoint"], token=access_token, token_type_hint="access_token")
    expect(response.status_code == 200, f"revoking a JWT access token is accepted (RFC 7009 §2.2): {response.status_code} {response.text[:160]}")
    revoked_at = time.monotonic()
    status = 200
    while status == 200 and time.monotonic() - revoked_at < 5:
        status = gateway_status("/orders", access_token)
        if status == 200:
            time.sleep(0.05)
    elapsed = time.monotonic() - revoked_at
    expect(status == 401, "the gateway refuses the revoked token")
    expect(elapsed < 2.0, f"within the revocation feed's bound: refused after {elapsed:.2f} s")
    expect(introspect(access_token, (RP["id"], RP["secret"])).json() == {"active": False}, "and introspection says inactive")
    refreshed = http().post(META["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
                            auth=(RP["id"], RP["secret"]), timeout=TIMEOUT)
    expect(refreshed.status_code == 400, "the token's family (grant) is revoked with it, refresh token included")


def case_logout():
    rp = STATE["rp"]
    unregistered = BROWSER.get(META["end_session_endpoint"] + "?" + requests.compat.urlencode(
        {"id_token_hint": rp["token"]["id_token"], "post_logout_redirect_uri": "https://evil.example/landing"}))
    expect(unregistered.status_code == 400 and "location" not in unregistered.headers,
           f"an unregistered post_logout_redirect_uri is refused, never followed: {unregistered.status_code}")
    for near_miss in (POST_LOGOUT_URI + "/", POST_LOGOUT_URI + "?next=x", POST_LOGOUT_URI.upper()):
        page = BROWSER.get(META["end_session_endpoint"] + "?" + requests.compat.urlencode(
            {"id_token_hint": rp["token"]["id_token"], "post_logout_redirect_uri": near_miss}))
        expect(page.status_code == 400, f"matched exactly: {near_miss!r} answered {page.status_code}")
    state = generate_token(16)
    page = BROWSER.get(META["end_session_endpoint"] + "?" + requests.compat.urlencode(
        {"id_token_hint": rp["token"]["id_token"], "post_logout_redirect_uri": POST_LOGOUT_URI, "state": state}))
    expect(page.status_code == 200, f"the logout confirmation page: {page.status_code}")
    done = BROWSER.submit(page, {"logout": "yes"})
    location = done.headers.get("location", "")
    expect(location.startswith(POST_LOGOUT_URI), f"back to the registered post-logout URI, got {done.status_code} {location!r}")
    expect(parse_qs(urlparse(location).query).get("state") == [state], "with the state (RP-Initiated Logout §3)")
    again = BROWSER.get(client(RP["id"], RP["secret"]).create_authorization_url(
        META["authorization_endpoint"], code_verifier=generate_token(48), nonce="n")[0])
    expect(not again.headers.get("location", "").startswith(REDIRECT_URI), "the session has ended: sign-in is asked again")


CASES = [
    ("discovery", case_discovery),
    ("code-flow", case_code_flow),
    ("id-token-sid", case_id_token_sid),
    ("userinfo-get", case_userinfo_get),
    ("userinfo-post", case_userinfo_post),
    ("userinfo-scopes", case_userinfo_scopes),
    ("introspection-jwt", case_introspection_jwt),
    ("authorization-post", case_authorization_post),
    ("pushed-authorization", case_pushed_authorization),
    ("rs256-id-token", case_rs256_id_token),
    ("error-codes", case_error_codes),
    ("revocation-jwt", case_revocation_jwt),
    ("logout", case_logout),
]

for name, run in CASES:
    try:
        run()
        result = {"case": name, "ok": True, "detail": ""}
    except Failed as failure:
        result = {"case": name, "ok": False, "detail": str(failure)}
    except Exception as error:  # an unexpected answer is a failure of this case, not of the run
        result = {"case": name, "ok": False, "detail": "".join(traceback.format_exception_only(type(error), error)).strip()}
    print(json.dumps(result), flush=True)
