-- Every department name the feeds wrote, with the canonical name it resolves to through the
-- alias seed: the review list of unresolved names (a warn, FEEDS.md "Departments") and the
-- one place that says which feed used which spelling.
with

written as (
    select distinct
        'major_projects' as feed_id,
        period,
        responsible_dept_raw as name_as_written,
        responsible_dept as dept_name,
        dept_resolved
    from {{ ref('stg_major_projects__projects') }}
    union all
    select distinct
        'enterprise_cultivation' as feed_id,
        period,
        recommending_dept_raw as name_as_written,
        recommending_dept as dept_name,
        dept_resolved
    from {{ ref('stg_enterprise_cultivation__enterprises') }}
    where recommending_dept_raw is not null
    union all
    select distinct
        'training_records' as feed_id,
        period,
        reporting_dept_raw as name_as_written,
        reporting_dept as dept_name,
        dept_resolved
    from {{ ref('stg_training_records__programs') }}
    union all
    select distinct
        'dept_task_progress' as feed_id,
        period,
        reporting_dept_raw as name_as_written,
        reporting_dept as dept_name,
        dept_resolved
    from {{ ref('stg_dept_task_progress__indicators') }}
    union all
    select distinct
        'supervision_items' as feed_id,
        period,
        responsible_dept_raw as name_as_written,
        responsible_dept as dept_name,
        dept_resolved
    from {{ ref('stg_supervision_items__items') }}
),

final as (
    select * from written
)

select * from final
