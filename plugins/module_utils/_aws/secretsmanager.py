# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets Manager reads. The value is returned to the caller only: never logged, never put in a message."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code


def secret_string(module, conn, secret_id):
    """The SecretString of the current version of a secret (None for a binary-only secret)."""
    try:
        return conn.get_secret_value(SecretId=secret_id, aws_retry=True).get("SecretString")
    except is_boto3_error_code("ResourceNotFoundException"):
        module.fail_json(msg="Secrets Manager secret %s not found in %s: check login_secret_id (an ARN selects its own region)"
                         % (secret_id, conn.meta.region_name))
    except is_boto3_error_code(["AccessDeniedException", "DecryptionFailure"]) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Not allowed to read secret %s: grant secretsmanager:GetSecretValue on it "
                             "(and kms:Decrypt on its key)" % secret_id)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not read secret %s: check login_secret_id, the region and "
                             "secretsmanager:GetSecretValue permission" % secret_id)
    return None
