-- Was each feed due at each period? The calendar is data generated from ingest/registry.py
-- (seeds ref_feeds / ref_feed_calendars): a feed owes a file for the months first_month,
-- first_month + step_months, … of each year, due on day due_day of the month due_after_months
-- after the period's month, from the feed's first owed period (owed_from, e.g. the year's target
-- list from 2024: the plan states 2023's) on. `is_due` = owed and the due date has passed at
-- as_of_date; before it a missing file is not late yet.
-- A deployment may receive a feed at another of its declared cadences: var
-- feed_cadence_overrides, e.g. {"stats_employment": "yearly"}; a cadence the registry does not
-- declare for the feed (source meta `cadences`) is a compile error.
{%- set overrides = var('feed_cadence_overrides', {}) %}
with

feeds as (
    select * from {{ ref('ref_feeds') }}
),

calendars as (
    select * from {{ ref('ref_feed_calendars') }}
),

chosen as (
    select
        feeds.feed_id,
        feeds.source as feed_source,
        nullif(feeds.owed_from, '') as owed_from,
        {{ overridden_cadence('feeds.feed_id', 'feeds.default_cadence', overrides) }} as cadence
    from feeds
),

calendar as (
    select
        chosen.feed_id,
        chosen.feed_source,
        chosen.cadence,
        chosen.owed_from,
        calendars.first_month,
        calendars.due_after_months,
        calendars.due_day,
        calendars.step_months
    from chosen
    inner join calendars on chosen.feed_id = calendars.feed_id and chosen.cadence = calendars.cadence
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
        (
            periods.period_month >= calendar.first_month
            and mod(periods.period_month - calendar.first_month, calendar.step_months) = 0
            and (calendar.owed_from is null or periods.period >= calendar.owed_from)
        ) as is_due_month,
        cast({{ dbt.dateadd('day', 'calendar.due_day - 1',
                            dbt.dateadd('month', 'calendar.due_after_months', 'periods.period_start')) }} as date)
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
