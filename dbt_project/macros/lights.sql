{#
    The traffic light (亮灯) of INDICATORS.md: one home for time progress, the light and its reason.
    Comparisons are inclusive and on unrounded values; they are written as products
    (value × 12 ≥ target × month rather than value / target ≥ month / 12) so that numbers a person
    checks by hand land exactly on the boundary, with a tolerance far below any shown digit for
    binary fractions such as 66.7.
#}

{#
    Share of the year gone by at the period's month: month / 12 (the 1-2月 period is month 2 = 2/12).
    An 8-byte float on every engine (PostgreSQL would otherwise compute NUMERIC).
#}
{% macro time_progress(month_expr) -%}
    (cast({{ month_expr }} as {{ type_double() }}) / 12)
{%- endmacro %}


{# Plan time progress of the five-year view: months since 2022-12 over 60 (an 8-byte float). #}
{% macro plan_time_progress(months_since_start_expr) -%}
    (cast({{ months_since_start_expr }} as {{ type_double() }}) / 60)
{%- endmacro %}


{% macro _light_tolerance() -%}1e-9{%- endmacro %}


{#
    绿 / 黄 / 红 / — for one indicator at one period.
      kind      'cumulative' | 'milestone' | 'rate' (SQL expression)
      value     the period's value (NULL = none)
      target    the year's target (NULL = none: —)
      month     1..12; for the five-year view pass months since 2022-12 and set `horizon_months` 60
      is_due    whether the indicator's feed was due (no value and due = 红, not due = —)
      unreported  the departments a sum over departments lacks (NULL = complete): once due, 红
                  whatever the value (INDICATORS.md "Completeness inside a value")
#}
{% macro traffic_light(kind, value, target, month, is_due='true', unreported='null', horizon_months=12) -%}
    {%- set tol = _light_tolerance() -%}
    case
        when {{ target }} is null then '—'
        when {{ value }} is null and not ({{ is_due }}) then '—'
        when {{ value }} is null then '红'
        when {{ unreported }} is not null and ({{ is_due }}) then '红'
        when {{ kind }} = 'cumulative' then
            case
                when {{ value }} * {{ horizon_months }} >= {{ target }} * ({{ month }}) - {{ tol }} * abs({{ target }}) then '绿'
                when {{ value }} * {{ horizon_months }} * 10 >= {{ target }} * (10 * ({{ month }}) - {{ horizon_months }}) - {{ tol }} * abs({{ target }}) then '黄'
                else '红'
            end
        when {{ kind }} = 'milestone' then
            case
                when {{ value }} >= {{ target }} - {{ tol }} * abs({{ target }}) then '绿'
                when ({{ month }}) * 12 / {{ horizon_months }} <= 9 then '黄'
                else '红'
            end
        when {{ kind }} = 'rate' then
            case
                when {{ value }} >= {{ target }} - {{ tol }} then '绿'
                when {{ value }} >= {{ target }} - 1 - {{ tol }} then '黄'
                else '红'
            end
        else '—'
    end
{%- endmacro %}


{#
    Why the light is what it is (Chinese, shown to departments). `carried_from` is the period a
    carried-forward quarterly value was released in (NULL when the value is the period's own);
    `unreported` the departments a sum lacks (`部分单位未报送：区教育局、区委统战部`).
#}
{% macro light_reason(kind, value, target, month, is_due='true', carried_from='null', unreported='null', horizon_months=12) -%}
    {%- set light = traffic_light(kind, value, target, month, is_due, unreported, horizon_months) -%}
    {#- the milestone rule's last month of 黄: September, or 2026-09 for the plan (45 of 60 months) -#}
    {%- set last_yellow, first_red = ('9月', '10月') if horizon_months == 12 else ('2026年9月', '2026年10月') -%}
    case
        when {{ target }} is null then '无年度目标'
        when {{ value }} is null and not ({{ is_due }}) then '未到报送期'
        when {{ value }} is null then '未报送'
        when {{ unreported }} is not null and ({{ is_due }}) then '部分单位未报送：' || {{ unreported }}
        when {{ carried_from }} is not null then '沿用' || {{ carried_from }} || '数据'
        when {{ kind }} = 'cumulative' then
            case {{ light }}
                when '绿' then '完成进度不低于时间进度'
                when '黄' then '完成进度落后时间进度10个百分点以内'
                else '完成进度落后时间进度超过10个百分点'
            end
        when {{ kind }} = 'milestone' then
            case {{ light }}
                when '绿' then '已完成目标'
                when '黄' then '尚未完成（{{ last_yellow }}及以前）'
                else '{{ first_red }}起仍未完成'
            end
        when {{ kind }} = 'rate' then
            case {{ light }}
                when '绿' then '达到目标'
                when '黄' then '低于目标1个百分点以内'
                else '低于目标超过1个百分点'
            end
    end
{%- endmacro %}
