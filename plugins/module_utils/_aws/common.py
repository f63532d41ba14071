# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared plumbing of the thin AWS adapters: one retrying client per service and retried pagination."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def client(module, service, **extra):
    """A boto3 client whose calls retry throttling with jittered backoff when passed aws_retry=True."""
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff(), **extra)


@AWSRetry.jittered_backoff()
def paginate(conn, operation, **params):
    """All pages of a paginated describe call merged into one dict (the whole walk is retried)."""
    return conn.get_paginator(operation).paginate(**params).build_full_result()
