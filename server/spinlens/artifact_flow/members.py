"""What Metaflow itself puts on a flow: FlowSpec's members and the decorators known
not to set artifacts.

Listed from Metaflow's ``flowspec.py`` and ``task.py`` (2.19) rather than imported:
the language server never imports Metaflow. ``tests/python/test_artifact_flow.py``
checks the public list against the installed ``metaflow.FlowSpec``.
"""

from __future__ import annotations

from types import MappingProxyType

# Public FlowSpec members a step uses through ``self``, with what they are.
PUBLIC_MEMBERS = MappingProxyType(
    {
        "next": "Metaflow: the transition to the next step(s)",
        "input": "Metaflow: this foreach task's item",
        "index": "Metaflow: this foreach task's index",
        "foreach_stack": "Metaflow: (index, splits, item) for each enclosing foreach",
        "merge_artifacts": "Metaflow: merge the inputs' artifacts in a join",
        "name": "Metaflow: the flow's name",
        "script_name": "Metaflow: the flow file's name (legacy)",
        "cmd": "Metaflow: run a command (legacy)",
    }
)

# Internal members (FlowSpec's and those Metaflow's task sets on the flow); a read
# of any ``self._x`` is never reported anyway, these only get a kind.
PRIVATE_MEMBERS = frozenset(
    {
        "_EPHEMERAL",
        "_NON_PARAMETERS",
        "_cached_input",
        "_check_parameters",
        "_current_step",
        "_datastore",
        "_exception",
        "_find_input",
        "_flow_decorators",
        "_flow_mutators",
        "_flow_state",
        "_foreach_stack",
        "_get_foreach_item_value",
        "_get_parameters",
        "_graph",
        "_graph_info",
        "_process_config_decorators",
        "_set_constants",
        "_set_datastore",
        "_steps",
        "_success",
        "_task_ok",
        "_transition",
        "_validate_ubf_step",
    }
)

# Attributes of one task in a join's ``inputs`` that are not artifacts.
INPUT_MEMBERS = frozenset({*PUBLIC_MEMBERS, *PRIVATE_MEMBERS})

# Step decorators of Metaflow that set no artifact (``catch`` sets its ``var``,
# handled apart). Any other decorator on a step may set anything.
QUIET_STEP_DECORATORS = frozenset(
    {
        "airflow_internal",
        "argo_workflows_internal",
        "batch",
        "card",
        "conda",
        "environment",
        "kubernetes",
        "parallel",
        "pypi",
        "pytorch_parallel",
        "resources",
        "retry",
        "secrets",
        "step",
        "step_functions_internal",
        "timeout",
    }
)

# Flow decorators of Metaflow: none adds a Parameter or an attribute.
QUIET_FLOW_DECORATORS = frozenset(
    {
        "airflow_external_task_sensor",
        "airflow_s3_key_sensor",
        "conda_base",
        "exit_hook",
        "project",
        "pypi_base",
        "schedule",
        "trigger",
        "trigger_on_finish",
    }
)

PARAMETER_KINDS = MappingProxyType(
    {"Parameter": "parameter", "IncludeFile": "parameter", "Config": "config"}
)
