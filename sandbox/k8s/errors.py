"""API errors rendered as Kubernetes `Status` objects."""


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def _qualified(res):
    return f"{res.plural}.{res.group}" if res.group else res.plural


def not_found(res, name):
    return ApiError(404, "NotFound", f'{_qualified(res)} "{name}" not found',
                    {"name": name, "group": res.group, "kind": res.plural})


def already_exists(res, name):
    return ApiError(409, "AlreadyExists", f'{_qualified(res)} "{name}" already exists',
                    {"name": name, "group": res.group, "kind": res.plural})


def conflict(res, name):
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {_qualified(res)} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                    {"name": name, "group": res.group, "kind": res.plural})


def invalid(res, name, message):
    return ApiError(422, "Invalid", f'{res.kind} "{name}" is invalid: {message}',
                    {"name": name, "group": res.group, "kind": res.kind})
