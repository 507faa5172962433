"""The pieces the definitions loader assembles: resources, assets, checks, jobs, schedules."""
