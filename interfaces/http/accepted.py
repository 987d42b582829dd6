"""The answer to an asynchronous request (hatch, evolve, equip, an item's icon): ``202`` with
the operation to poll at ``/operations/{operation_id}``."""

from __future__ import annotations

import msgspec

from domain.companions.operation import Operation


class AcceptedOperation(msgspec.Struct):
    """The seed's answer to an asynchronous request: poll ``/operations/{operation_id}``."""

    accepted: bool
    operation_id: str
    status: str


def accepted_operation(operation: Operation) -> AcceptedOperation:
    return AcceptedOperation(True, operation.public_id, operation.status)
