from tests.escalation.conftest import company  # noqa: F401  (the demo-shaped company)
from tests.portal.conftest import giulia, kari, ole  # noqa: F401  (the portal's customers)
