"""The agency console (/console/, Chinese, for agency staff): one blueprint per section.

Each section module (login, dashboard, imports, review, people, requests, campaigns,
cycle) has its own blueprint, nested under the ``console`` blueprint of
console/views/common.py, which holds the guard (login, roles, CSRF, idle timeout)
that every section shares. Endpoints read ``console.<section>.<view>``.
"""

from console.views import campaigns, cycle, dashboard, imports, login, people, requests, review, users
from console.views.common import bp

for _section in (login, dashboard, imports, review, people, requests, campaigns, cycle, users):
    bp.register_blueprint(_section.bp)

__all__ = ["bp"]
