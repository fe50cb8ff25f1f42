"""Fixtures of the simulator suite.

`sim` starts one simulator per test session (per xdist worker) as a subprocess on port 0, with
short operation durations, and stops it by its PID. Before each test the autouse `clean` fixture
resets its state and configuration through the admin API, so tests do not see each other.
`api` is a client already holding a bearer for the default token; `other_api` is a second user.
"""

import pytest

from simhelpers import DEFAULT_CONFIG, DURATION, OTHER_EMAIL, OTHER_TOKEN, TOKEN, Api, SimulatorProcess


@pytest.fixture(scope="session")
def sim():
    process = SimulatorProcess("--operation-duration", str(DURATION), "--rate-limit", "0",
                               "--token", TOKEN, "--token", "%s=%s" % (OTHER_TOKEN, OTHER_EMAIL))
    yield process
    assert process.stop() == 0


@pytest.fixture(autouse=True)
def clean(request):
    if "sim" not in request.fixturenames:
        yield
        return
    sim = request.getfixturevalue("sim")
    sim.admin("POST", "/_sim/reset")
    sim.admin("POST", "/_sim/config", DEFAULT_CONFIG)
    sim.admin("DELETE", "/_sim/requests")
    yield


@pytest.fixture
def api(sim):
    return Api(sim.base)


@pytest.fixture
def other_api(sim):
    return Api(sim.base, OTHER_TOKEN)


@pytest.fixture
def app(api):
    return api.create_app("example-app")
