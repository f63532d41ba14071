# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudops.runbooks.runbook_evidence: the run directory of a run whose ansible-playbook does not
enable the run_evidence callback (an installed collection run from the user's own project, an AWX project), written by
the runbook's close from the run summary, the report and the steps the run recorded. On the controller, no module
process. The logic is plugin_utils/evidence_files.py; the documentation is plugins/modules/runbook_evidence.py."""

from __future__ import annotations

import os
import time

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_version

from ansible_collections.cloudops.runbooks.plugins.action.runbook_step import controller_run, previous_steps
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps as step_shape
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_files
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_render as render
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_summary
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_redact import Redactor


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _VALID_ARGS = frozenset(("summary", "report", "started_at", "force", "bucket", "prefix", "region"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = render.to_plain(dict(self._task.args))
        summary = args.get("summary")
        if not isinstance(summary, dict) or not summary.get("run_id"):
            result.update(failed=True, changed=False, msg="runbook_evidence: summary must be the run summary "
                          "(cloudops.runbooks.run_summary), a dictionary with run_id; got %r." % (summary,))
            return result
        bucket = args.get("bucket") or ""
        enabled = evidence_files.callback_enabled(C.config.get_config_value("CALLBACKS_ENABLED"))
        if enabled and not args.get("force") and not bucket:
            result.update(changed=False, written=False, run_dir=None,
                          msg="the run_evidence callback is enabled: it writes the run directory at the end of the playbook")
            return result
        directory = evidence_files.run_directory(summary, os.environ.get(evidence_summary.RUN_DIR_OVERRIDE_ENV, ""))
        if not directory:
            result.update(changed=False, written=False, run_dir=None, msg="no run directory (cloudops_run_dir_root is '')")
            return result
        report = args.get("report") if isinstance(args.get("report"), dict) else None
        started = None
        if args.get("started_at"):
            try:
                started = step_shape.epoch(args["started_at"])
            except ValueError:
                started = None
        now = time.time()
        recorded = previous_steps(task_vars, controller_run())
        document = evidence_files.document_without_callback(
            summary, report, recorded, started=started, finished=now, playbook=task_vars.get("playbook_dir"),
            ansible_version=ansible_version, collection_version=evidence_files.collection_version(), run_dir=directory)
        redactor = Redactor()
        redactor.learn_environment(os.environ)
        names = evidence_files.write_run_dir(document, redactor, directory)
        line = "Run evidence: %s/ (%s)" % (directory, ", ".join(names))
        if not enabled:  # else the callback prints it when it has written the run directory, at the end
            self._display.display(redactor.text(line))
        # An artifact, not estate: never a change.
        result.update(changed=False, written=True, run_dir=directory, files=names, msg=redactor.text(line))
        if bucket:
            result["upload"] = self._upload(task_vars, summary, directory, bucket, args)
        return result

    def _upload(self, task_vars, summary, directory, bucket, args):
        """The run directory copied to s3://<bucket>/<prefix>/<run id>/ by runbook_evidence_upload (one module
        process). A failed copy is a warning: the run's outcome is the runbook's, not its evidence copy's."""
        module_args = {"bucket": bucket, "prefix": args.get("prefix") or "runs", "run_id": summary["run_id"], "run_dir": directory}
        if args.get("region"):
            module_args["region"] = args["region"]
        # Copied in check runs too, like the run directory (the evidence of what would happen), never a change.
        check_mode = self._task.check_mode
        self._task.check_mode = False
        try:
            out = self._execute_module(module_name="cloudops.runbooks.runbook_evidence_upload", module_args=module_args,
                                       task_vars=task_vars)
        finally:
            self._task.check_mode = check_mode
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if out.get("failed"):
            self._display.warning("The run directory was not copied to S3 (cloudops_report_bucket): %s" % out.get("msg"))
        else:
            self._display.display("Run evidence copied to %s (%d file(s) sent, %d already there)" % (
                out.get("location"), len(out.get("uploaded") or []), len(out.get("unchanged") or [])))
        return dict((k, out.get(k)) for k in ("failed", "msg", "location", "uploaded", "unchanged") if k in out)
