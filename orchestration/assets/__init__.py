"""The Dagster assets, one module per stage: ingestion, dbt, quality, publication."""

import warnings

# Every asset of the monthly job runs one month per run, in order (a month's criteria read the months before it):
# dbt's asset says so (BackfillPolicy.multi_run(1)); the others have no policy, which Dagster runs one partition
# per run too. Dagster calls that "varying BackfillPolicies" and warns at every run that it takes the smallest, which
# is the intended one; giving each asset the policy instead makes it warn that the parameter is beta, per asset.
warnings.filterwarnings("ignore", message=r"Asset job .* materializes assets with varying BackfillPolicies")
