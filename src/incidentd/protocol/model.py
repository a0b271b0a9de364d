"""Loads botocore's installed service models: the single source of every shape and constraint."""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import OperationModel, ServiceModel

INCIDENTS = "ssm-incidents"
CONTACTS = "ssm-contacts"
SSM = "ssm"


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def service_model(service: str) -> ServiceModel:
    """The installed botocore model of one service, loaded once per process."""
    return _session().get_service_model(service)


def operation(service: str, name: str) -> OperationModel:
    """One operation of a service's model."""
    return service_model(service).operation_model(name)
