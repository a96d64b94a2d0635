-- The read set: for every period P of the spine, the current vintage of every (feed, period, scope)
-- whose rows P's published numbers read. Which input periods each feed contributes is declared per
-- feed in ingest/registry.py (Feed.reads, seed ref_feed_reads); what each rule means is written
-- here, once. A view over raw.current_vintages: it always says what P reads now. The gate reads it;
-- fct_read_set captures it when the marts are built (publication records that capture).
with

rules as (
    select
        feed_id,
        read_rule
    from {{ ref('ref_feed_reads') }}
),

periods as (
    select
        period,
        period_year
    from {{ ref('int_periods') }}
),

vintages as (
    select
        feed_id,
        period as input_period,
        scope,
        file_sha256,
        vintage
    from {{ source('raw', 'current_vintages') }}
),

-- The periods of each feed that have a current vintage.
feed_periods as (
    select distinct
        feed_id,
        input_period,
        {{ period_year('input_period') }} as input_year
    from vintages
),

-- The last period with a file of each year, per feed (a year's year-end value).
year_ends as (
    select
        feed_id,
        input_year,
        max(input_period) as input_period
    from feed_periods
    group by feed_id, input_year
),

by_window as (
    select
        periods.period,
        rules.feed_id,
        feed_periods.input_period
    from periods
    cross join rules
    inner join feed_periods on rules.feed_id = feed_periods.feed_id
    where
        (rules.read_rule = 'own' and feed_periods.input_period = periods.period)
        or (
            rules.read_rule = 'earlier_in_year'
            and feed_periods.input_year = periods.period_year
            and feed_periods.input_period < periods.period
        )
        or (rules.read_rule = 'previous_year' and feed_periods.input_year = periods.period_year - 1)
        or (rules.read_rule = 'earlier_years' and feed_periods.input_year < periods.period_year)
),

by_year_end as (
    select
        periods.period,
        rules.feed_id,
        year_ends.input_period
    from periods
    cross join rules
    inner join year_ends on rules.feed_id = year_ends.feed_id
    where
        (rules.read_rule = 'previous_year_end' and year_ends.input_year = periods.period_year - 1)
        or (rules.read_rule = 'year_ends' and year_ends.input_year < periods.period_year)
),

by_release as (
    select
        periods.period,
        rules.feed_id,
        max(feed_periods.input_period) as input_period
    from periods
    cross join rules
    inner join feed_periods on rules.feed_id = feed_periods.feed_id
    where
        (rules.read_rule = 'latest_release' and feed_periods.input_period <= periods.period)
        or (rules.read_rule = 'previous_release' and feed_periods.input_period < periods.period)
    group by periods.period, rules.feed_id, rules.read_rule
),

wanted as (
    select
        period,
        feed_id,
        input_period
    from by_window
    union
    select
        period,
        feed_id,
        input_period
    from by_year_end
    union
    select
        period,
        feed_id,
        input_period
    from by_release
),

final as (
    select
        wanted.period,
        wanted.feed_id,
        vintages.scope,
        wanted.input_period,
        vintages.file_sha256,
        vintages.vintage
    from wanted
    inner join vintages
        on wanted.feed_id = vintages.feed_id and wanted.input_period = vintages.input_period
)

select * from final
