"""Kinds of jobs that the API records and the engine runs, named where both can see them.

A job kind is a contract between the transaction that writes the job and the module that runs it
(engine/jobs/): the response's kinds are in domain/response.py, an engagement's steps in services/engagements.py,
and these two stand alone.
"""

from __future__ import annotations

# CreateReplicationSet and UpdateReplicationSet: the set's pending regions settle after [replication] settle_seconds.
SETTLE_REPLICATION_SET = "replication_set.settle"
# CreateContactChannel and SendActivationCode: the code goes to the device through the channel's own transport.
SEND_ACTIVATION_CODE = "contacts.send_activation_code"
