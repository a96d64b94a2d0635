-- Was each feed due at each period? FEEDS.md "Due dates and completeness": a feed owes a file
-- for its due months (statistics: not January; quarterly: 03/06/09/12) by its due date
-- (statistics the 20th, others the 5th of the next month). `is_due` = owed and the due date has
-- passed at as_of_date; before it a missing file is not late yet.
with

calendar as (
    {{ feed_calendar_rows() }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

owed as (
    select
        periods.period,
        periods.period_month,
        calendar.feed_id,
        calendar.feed_source,
        calendar.cadence,
        case
            when calendar.cadence = 'quarterly' then periods.is_quarter_end
            else periods.period_month >= calendar.first_month
        end as is_due_month,
        cast({{ dbt.dateadd('day', 'calendar.due_day - 1', dbt.dateadd('month', 1, 'periods.period_start')) }} as date)
            as due_date
    from periods
    cross join calendar
),

final as (
    select
        period,
        feed_id,
        feed_source,
        cadence,
        is_due_month,
        due_date,
        (is_due_month and due_date < {{ as_of_date() }}) as is_due
    from owed
)

select * from final
