"""@project: current.project_name, branch_name, is_production, project_flow_name."""

from metaflow import FlowSpec, current, project, step


@project(name="compat_shop")
class ProjectFlow(FlowSpec):
    @step
    def start(self):
        self.project_name = current.project_name
        self.branch_name = current.branch_name
        self.is_production = current.is_production
        self.project_flow_name = current.project_flow_name
        self.next(self.end)

    @step
    def end(self):
        self.label = f"{self.project_name}/{self.branch_name}"


if __name__ == "__main__":
    ProjectFlow()
