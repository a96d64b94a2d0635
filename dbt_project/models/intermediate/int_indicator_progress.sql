-- Every indicator of each period's year (int_indicator_targets: the registry's in every year, a
-- listed task in the years its list names it), with its value (own, or a quarterly value carried
-- forward), whether its feed was due, its annual target, the departments a sum lacks and the
-- five-year inputs. The lights are added by int_indicator_lights.
with

indicators as (
    select * from {{ ref('int_indicators') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

indicator_values as (
    select * from {{ ref('int_indicator_values') }}
),

due as (
    select * from {{ ref('int_feed_due_periods') }}
),

targets as (
    select * from {{ ref('int_indicator_targets') }}
),

year_end as (
    select * from {{ ref('int_indicator_year_end_values') }}
),

grid as (
    select
        periods.period,
        periods.period_year,
        periods.period_month,
        periods.months_since_plan_start,
        indicators.indicator_id,
        indicators.kind,
        indicators.cadence,
        indicators.goal_type,
        indicators.goal_2027,
        indicators.source_feed,
        coalesce(due.is_due, false) as is_due
    from periods
    inner join targets on periods.period_year = targets.target_year
    inner join indicators on targets.indicator_id = indicators.indicator_id
    left join due
        on periods.period = due.period and indicators.source_feed = due.feed_id
),

-- A quarterly indicator between two releases carries the latest released value forward.
carried as (
    select
        grid.period,
        grid.indicator_id,
        indicator_values.period as carried_from,
        indicator_values.value as carried_value,
        row_number() over (partition by grid.period, grid.indicator_id order by indicator_values.period desc) as recency
    from grid
    inner join indicator_values
        on grid.indicator_id = indicator_values.indicator_id and grid.period > indicator_values.period
    where grid.cadence = 'quarterly'
),

-- Σ of the year-end values of the plan's earlier years, for goals stated as a five-year total.
earlier_years as (
    select
        grid.period,
        grid.indicator_id,
        sum(year_end.year_end_value) as earlier_years_total
    from grid
    inner join year_end
        on
            grid.indicator_id = year_end.indicator_id
            and year_end.value_year >= 2023
            and grid.period_year > year_end.value_year
    group by grid.period, grid.indicator_id
),

valued as (
    select
        grid.*,
        own.value as own_value,
        own.unreported_departments,
        case when own.value is null and not grid.is_due then carried.carried_from end as carried_from,
        coalesce(own.value, case when not grid.is_due then carried.carried_value end) as value,
        targets.annual_target,
        coalesce(targets.target_is_derived, false) as target_is_derived,
        earlier_years.earlier_years_total
    from grid
    left join indicator_values as own
        on grid.period = own.period and grid.indicator_id = own.indicator_id
    left join carried
        on grid.period = carried.period and grid.indicator_id = carried.indicator_id and carried.recency = 1
    left join targets
        on grid.period_year = targets.target_year and grid.indicator_id = targets.indicator_id
    left join earlier_years
        on grid.period = earlier_years.period and grid.indicator_id = earlier_years.indicator_id
),

final as (
    select
        period,
        period_year,
        period_month,
        months_since_plan_start,
        indicator_id,
        kind,
        goal_type,
        source_feed,
        is_due,
        value,
        case when value is not null then coalesce(carried_from, period) end as value_source_period,
        carried_from,
        unreported_departments,
        annual_target,
        target_is_derived,
        case when goal_type in ('total_2027', 'level_2027') then goal_2027 end as target_2027,
        -- five-year view: a total adds up the earlier years' year-end values; a level is the value itself
        case
            when goal_type = 'total_2027' and value is not null then coalesce(earlier_years_total, 0) + value
            when goal_type = 'level_2027' then value
        end as value_since_2023
    from valued
)

select * from final
