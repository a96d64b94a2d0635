{{ config(**period_mart_config()) }}
-- 服务业紧缺领军人才 counts by period, category and "352" field. No personal data: people are
-- counted by person_key only.
with

talents as (
    select * from {{ ref('stg_talent_registry__talents') }}
    where
        not coalesce(_is_total, false)
    {% if is_incremental() %}
        and {{ in_run_periods() }}
    {% endif %}
),

classified as (
    select
        period,
        category,
        coalesce(industry_352, '未填报') as industry_352,
        person_key,
        coalesce(status, '在库') = '在库' as is_in_list,
        coalesce(status, '在库') = '调出' as is_out,
        -- "only items that entered in the current year count" (INDICATORS.md, talent_*: by 认定时间)
        {{ period_year('recognized_month') }} = {{ period_year('period') }}
        and recognized_month <= period as is_recognized_this_year
    from talents
),

final as (
    select
        period,
        category,
        industry_352,
        cast(count(distinct case when is_in_list then person_key end) as integer) as talents_in_list,
        cast(count(distinct case when is_in_list and is_recognized_this_year then person_key end) as integer)
            as talents_new_this_year,
        cast(count(distinct case when is_out then person_key end) as integer) as talents_out
    from classified
    group by period, category, industry_352
)

select * from final
