-- 报送情况: per (period, feed, scope) the department that owes or sent the file, the first accepted
-- file of the scope and whether it came on time (FEEDS.md "Due dates and completeness"). The one
-- home of received / late / missing: the completeness checks, svcmon status, the quality report
-- and the 晾晒表 read it. Judged at var as_of_date (the as_of_date column says which day).
-- Received means landed: submitted_on is the landing date unless history was loaded on purpose
-- (an explicit date, or each file's 填报日期 under --history); the 填报日期 written in the file is
-- the department's claim, claimed_on, shown beside it and never judged by.
with

due as (
    select
        period,
        feed_id,
        due_date,
        is_due
    from {{ ref('int_feed_due_periods') }}
    where is_due_month
),

feeds as (
    select * from {{ ref('ref_feeds') }}
),

-- A multi-department feed is owed by every department owning one of its indicators in the
-- period's year (int_indicator_years: the registry's in every year, a task a target list adds in
-- the years its list names it).
indicator_owners as (
    select distinct
        years.indicator_year,
        indicators.source_feed as feed_id,
        indicators.owner_dept
    from {{ ref('int_indicator_years') }} as years
    inner join {{ ref('int_indicators') }} as indicators on years.indicator_id = indicators.indicator_id
),

owed as (
    select
        due.period,
        due.feed_id,
        '' as scope,
        feeds.owner_dept as dept_name
    from due
    inner join feeds on due.feed_id = feeds.feed_id and not feeds.multi_department
    union all
    select
        due.period,
        due.feed_id,
        indicator_owners.owner_dept as scope,
        indicator_owners.owner_dept as dept_name
    from due
    inner join feeds on due.feed_id = feeds.feed_id and feeds.multi_department
    inner join indicator_owners
        on due.feed_id = indicator_owners.feed_id and {{ period_year('due.period') }} = indicator_owners.indicator_year
),

accepted_files as (
    select
        vintages.feed_id,
        vintages.period,
        vintages.scope,
        register.file_name,
        register.file_sha256,
        register.received_at,
        coalesce(register.submitted_on, cast(register.received_at as date)) as submitted_on,
        register.claimed_on
    from {{ source('raw', 'vintages') }} as vintages
    inner join {{ source('raw', 'file_register') }} as register
        on
            vintages.file_sha256 = register.file_sha256
            and vintages.feed_id = register.feed_id
            and register.status = 'accepted'
),

-- Lateness is judged on the first accepted file of a scope: a revision after the due date is
-- not a late arrival.
first_files as (
    select
        feed_id,
        period,
        scope,
        file_name,
        file_sha256,
        received_at,
        submitted_on,
        claimed_on
    from (
        select
            accepted_files.*,
            row_number() over (
                partition by accepted_files.feed_id, accepted_files.period, accepted_files.scope
                order by accepted_files.submitted_on, accepted_files.received_at, accepted_files.file_sha256
            ) as arrival_rank
        from accepted_files
    ) as ranked
    where arrival_rank = 1
),

-- Owed scopes, and the scopes of a multi-department feed that a department sent without owing it.
scopes as (
    select
        period,
        feed_id,
        scope,
        dept_name,
        true as is_owed
    from owed
    union all
    select
        first_files.period,
        first_files.feed_id,
        first_files.scope,
        first_files.scope as dept_name,
        false as is_owed
    from first_files
    inner join due on first_files.feed_id = due.feed_id and first_files.period = due.period
    inner join feeds on first_files.feed_id = feeds.feed_id and feeds.multi_department
    where not exists (
        select 1
        from owed
        where
            owed.feed_id = first_files.feed_id
            and owed.period = first_files.period
            and owed.scope = first_files.scope
    )
),

final as (
    select
        scopes.period,
        scopes.feed_id,
        feeds.feed_name_zh,
        scopes.scope,
        scopes.dept_name,
        scopes.is_owed,
        due.due_date,
        due.is_due,
        -- The month has ended: from then on a file not yet received is outstanding.
        {{ as_of_date() }} >= {{ dbt.dateadd('month', 1, "cast(scopes.period || '-01' as date)") }}
            as is_period_closed,
        {{ as_of_date() }} as as_of_date,
        first_files.file_name,
        first_files.file_sha256,
        first_files.submitted_on,
        first_files.claimed_on,
        first_files.received_at,
        case
            when first_files.submitted_on <= due.due_date then 'on_time'
            when first_files.submitted_on is not null then 'late'
            when due.is_due then 'missing'
            else 'not_yet_due'
        end as state
    from scopes
    inner join due on scopes.feed_id = due.feed_id and scopes.period = due.period
    inner join feeds on scopes.feed_id = feeds.feed_id
    left join first_files
        on
            scopes.feed_id = first_files.feed_id
            and scopes.period = first_files.period
            and scopes.scope = first_files.scope
)

select
    cast(period as varchar) as period,
    cast(feed_id as varchar) as feed_id,
    cast(feed_name_zh as varchar) as feed_name_zh,
    cast(scope as varchar) as scope,
    cast(dept_name as varchar) as dept_name,
    cast(is_owed as boolean) as is_owed,
    cast(due_date as date) as due_date,
    cast(is_due as boolean) as is_due,
    cast(is_period_closed as boolean) as is_period_closed,
    cast(as_of_date as date) as as_of_date,
    cast(file_name as varchar) as file_name,
    cast(file_sha256 as varchar) as file_sha256,
    cast(submitted_on as date) as submitted_on,
    cast(claimed_on as date) as claimed_on,
    cast(received_at as timestamp) as received_at,
    cast(state as varchar) as state,
    cast(case state
        when 'on_time' then '按时'
        when 'late' then '迟报'
        when 'missing' then '未报送'
        else '未到截止日'
    end as varchar) as state_zh
from final
