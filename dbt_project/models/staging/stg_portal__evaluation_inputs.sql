{#-
    The portal's published evaluation as criterion inputs: one row per extraction month (`period`, the month run),
    published period (`period_type` month, quarter or year, from the request's timeType; `period_start`), endpoint,
    root and listed unit (the root's overview or parent node, and each subordinate unit), and criterion. A month's
    extraction carries its quarter and its year as the portal published them then (to date). Metric endpoints carry
    numerator, denominator and score per criterion; the *-tree endpoints carry counts, mapped to criteria by the
    seed portal_evaluation_counts (their points come per group only, so published_points is null there).
-#}

with

pages as (

    select
        period,
        extracted_at,
        coalesce(nullif("timeType", ''), 'month') as period_type,
        "endpoint" as endpoint,
        "rootDepartmentId" as root_department_id,
        cast("request" as json) as request,
        cast("response" as json) as response

    from {{ portal_records('evaluation', ['endpoint', 'timeType', 'block', 'rootDepartmentId', 'currentPage', 'request', 'response']) }}

),

{#- The published period: the request's year and month or quarter (a page landed before quarters and years were
    extracted is a month, of its folder). -#}
dated_pages as (

    select
        period,
        extracted_at,
        period_type,
        case period_type
            when 'year' then make_date(try_cast(json_extract_string(request, '$.year') as integer), 1, 1)
            when 'quarter' then make_date(
                try_cast(json_extract_string(request, '$.year') as integer),
                try_cast(json_extract_string(request, '$.quarter') as integer) * 3 - 2,
                1
            )
            else coalesce(
                make_date(
                    try_cast(json_extract_string(request, '$.year') as integer),
                    try_cast(json_extract_string(request, '$.month') as integer),
                    1
                ),
                cast(period || '-01' as date)
            )
        end as period_start,
        endpoint,
        root_department_id,
        response

    from pages

),

metric_nodes as (

    select period, extracted_at, period_type, period_start, endpoint, root_department_id, true as is_root_node,
        json_extract(response, '$.data.overview') as node
    from dated_pages
    where endpoint in ('transparency', 'dossier-digitized', 'handling-satisfaction')

    union all

    select period, extracted_at, period_type, period_start, endpoint, root_department_id, false as is_root_node,
        unnest(json_extract(response, '$.data.evaluation[*]')) as node
    from dated_pages
    where endpoint in ('transparency', 'dossier-digitized', 'handling-satisfaction')

),

metric_inputs as (

    select
        period,
        extracted_at,
        period_type,
        period_start,
        endpoint,
        root_department_id,
        is_root_node,
        node,
        unnest(json_extract(node, '$.metrics[*]')) as metric

    from metric_nodes

),

metric_rows as (

    select
        period,
        extracted_at,
        period_type,
        period_start,
        endpoint,
        root_department_id,
        is_root_node,
        json_extract_string(node, '$.departmentId') as department_id,
        json_extract_string(node, '$.departmentName') as department_name,
        json_extract_string(node, '$.departmentType') as department_type_code,
        json_extract_string(metric, '$.code') as criterion_code,
        try_cast(json_extract_string(metric, '$.numerator') as double) as numerator,
        try_cast(json_extract_string(metric, '$.denominator') as double) as denominator,
        try_cast(json_extract_string(metric, '$.score') as double) as published_points,
        try_cast(json_extract_string(metric, '$.maxScore') as double) as published_max_points,
        json_extract_string(metric, '$.dataQualityStatus') as data_quality_status

    from metric_inputs

),

tree_nodes as (

    select period, extracted_at, period_type, period_start, endpoint, root_department_id, true as is_root_node,
        json_extract(response, '$.data.parent') as node
    from dated_pages
    where endpoint in (select endpoint from {{ ref('portal_evaluation_counts') }})

    union all

    select period, extracted_at, period_type, period_start, endpoint, root_department_id, false as is_root_node,
        unnest(json_extract(response, '$.data.children[*]')) as node
    from dated_pages
    where endpoint in (select endpoint from {{ ref('portal_evaluation_counts') }})

),

tree_rows as (

    select
        tree_nodes.period,
        tree_nodes.extracted_at,
        tree_nodes.period_type,
        tree_nodes.period_start,
        tree_nodes.endpoint,
        tree_nodes.root_department_id,
        tree_nodes.is_root_node,
        json_extract_string(tree_nodes.node, '$.departmentId') as department_id,
        json_extract_string(tree_nodes.node, '$.departmentName') as department_name,
        json_extract_string(tree_nodes.node, '$.departmentType') as department_type_code,
        counts.criterion_code,
        sum(case when counts.role = 'numerator'
            then try_cast(json_extract_string(tree_nodes.node, '$.' || counts.field) as double) end) as numerator,
        sum(case when counts.role = 'denominator'
            then try_cast(json_extract_string(tree_nodes.node, '$.' || counts.field) as double) end) as denominator,
        cast(null as double) as published_points,
        cast(null as double) as published_max_points,
        cast(null as varchar) as data_quality_status

    from tree_nodes
    inner join {{ ref('portal_evaluation_counts') }} as counts
        on counts.endpoint = tree_nodes.endpoint
    group by all

),

unit_types as (

    select code, name from {{ ref('portal_enums') }} where enum = 'unit_type'

),

final as (

    select
        rows.period,
        rows.extracted_at,
        rows.period_type,
        rows.period_start,
        rows.endpoint,
        nullif(rows.root_department_id, 'NATION') as root_department_id,
        rows.is_root_node,
        rows.department_id,
        rows.department_name,
        coalesce(unit_types.name, lower(rows.department_type_code)) as department_type,
        rows.criterion_code,
        rows.numerator,
        rows.denominator,
        rows.published_points,
        rows.published_max_points,
        rows.data_quality_status

    from (select * from metric_rows union all by name select * from tree_rows) as rows
    left join unit_types
        on unit_types.code = rows.department_type_code

)

select * from final
