"""``hatched customers plan CUSTOMER PLAN [--event-quota N] [--reason TEXT]``.

Changes a customer's plan from outside the code (decision 0049): an operator's correction,
a contract's plan and monthly event quota, the bench tenant's plan. ``CUSTOMER`` is the
customer's e-mail or its id (``cus_…``). The change is ``Customer.PlanChanged`` with the
cause ``{"by": "operator", "via": "cli", "reason": …}``, so it shows in the customer's
history like every other; it reaches every running process within a second. It works
whether or not Stripe billing is configured: a later Stripe event (a checkout, a cancelled
subscription) changes the plan again.

Exit status: 0 changed (or already so); 1 refused (unknown customer or plan, a negative
quota).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from domain.accounts.plans import PLANS
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from infrastructure.shared.settings import Settings

REFUSED = 1


def add_commands(commands: Any) -> None:
    """Register ``customers plan`` on the ``hatched`` parser."""
    customers = commands.add_parser("customers", help="change a customer account as an operator")
    actions = customers.add_subparsers(dest="action", required=True)
    plan_cmd = actions.add_parser(
        "plan", help="put a customer on a plan (recorded with the operator as its cause)"
    )
    plan_cmd.add_argument("customer", metavar="CUSTOMER", help="the customer's e-mail or cus_… id")
    plan_cmd.add_argument("plan", metavar="PLAN", help=f"one of {', '.join(PLANS)}")
    plan_cmd.add_argument(
        "--event-quota",
        type=int,
        default=None,
        help="a monthly event quota replacing the plan's (a contract's figure)",
    )
    plan_cmd.add_argument("--reason", default=None, help="why, kept with the change")
    plan_cmd.set_defaults(run=change_plan)


def change_plan(args: argparse.Namespace) -> int:
    from interfaces.container import build_container

    settings = Settings.from_env()
    print(f"store: {settings.describe_store()}", file=sys.stderr, flush=True)
    container = build_container(settings)
    cause: dict[str, Any] = {"by": "operator", "via": "cli"}
    if args.reason:
        cause["reason"] = args.reason
    try:
        customer = container.billing.find_customer(args.customer)
        changed = container.billing.set_plan(customer.id, args.plan, args.event_quota, cause)
    except DomainError as refusal:
        print(f"hatched customers plan: {refusal.message}", file=sys.stderr)
        return REFUSED
    finally:
        container.close()
    print(
        f"{public_id('customer', changed.id)} ({changed.email}) is on {changed.plan}: "
        f"{changed.monthly_event_quota} events a month"
    )
    return 0
