"""Zuul's zuul_return, as Zuul documents it (Zuul is not in Debian): an action that merges
its `data` into $ZUUL_JOBDIR/work/results.json, where Zuul reads what a build returned."""
import json
import os

from ansible.plugins.action import ActionBase


def merge(into, data):
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        path = os.path.join(os.environ["ZUUL_JOBDIR"], "work", "results.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        results = {}
        if os.path.exists(path):
            with open(path) as existing:
                results = json.load(existing)
        merge(results, self._task.args.get("data", {}))
        with open(path, "w") as out:
            json.dump(results, out)
        result["changed"] = False
        return result
