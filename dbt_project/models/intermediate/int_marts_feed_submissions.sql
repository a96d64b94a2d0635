-- Every file a department owes, per (period, feed, scope), and whether it came on time:
-- a single-owner feed is owed by its owner (ref_feeds); a multi-department feed by each
-- department that owns one of its indicators (ref_indicators.source_feed), one scope each.
-- When a file is due comes from int_feed_due_periods (ref_feed_calendars); a file counts from
-- the first accepted vintage of its scope, by raw.file_register.submitted_on.
with

due as (
    select * from {{ ref('int_feed_due_periods') }}
    where is_due_month
),

owners as (
    select * from {{ ref('ref_feeds') }}
),

indicator_owners as (
    select distinct
        source_feed as feed_id,
        owner_dept
    from {{ ref('ref_indicators') }}
),

owed as (
    select
        due.period,
        due.feed_id,
        owners.feed_name_zh,
        '' as scope,
        owners.owner_dept as dept_name,
        due.due_date,
        due.is_due
    from due
    inner join owners on due.feed_id = owners.feed_id and not owners.multi_department
    union all
    select
        due.period,
        due.feed_id,
        owners.feed_name_zh,
        indicator_owners.owner_dept as scope,
        indicator_owners.owner_dept as dept_name,
        due.due_date,
        due.is_due
    from due
    inner join owners on due.feed_id = owners.feed_id and owners.multi_department
    inner join indicator_owners on due.feed_id = indicator_owners.feed_id
),

first_submissions as (
    select
        vintages.feed_id,
        vintages.period,
        vintages.scope,
        min(register.submitted_on) as first_submitted_on
    from {{ source('raw', 'vintages') }} as vintages
    inner join {{ source('raw', 'file_register') }} as register
        on vintages.file_sha256 = register.file_sha256 and vintages.feed_id = register.feed_id
    where register.status = 'accepted'
    group by vintages.feed_id, vintages.period, vintages.scope
),

final as (
    select
        owed.period,
        owed.feed_id,
        owed.feed_name_zh,
        owed.scope,
        owed.dept_name,
        owed.due_date,
        first_submissions.first_submitted_on,
        case
            when first_submissions.first_submitted_on <= owed.due_date then 'on_time'
            when first_submissions.first_submitted_on is not null then 'late'
            when owed.is_due then 'missing'
            else 'not_yet_due'
        end as submission_state
    from owed
    left join first_submissions
        on
            owed.feed_id = first_submissions.feed_id
            and owed.period = first_submissions.period
            and owed.scope = first_submissions.scope
)

select * from final
