"""The jinja2 templates of the run report (kept in Python so they ship with the package like any module)."""

MARKDOWN_TEMPLATE = """\
# hsimul3r run: {{ case }}

**{{ headline }}.**

Input case: `{{ case_dir }}`. Overrides:
{%- for o in overrides %} `{{ o }}`{% else %} none{% endfor %}.
{% if warnings %}

Warnings about the input:
{% for w in warnings %}
- {{ w }}
{% endfor %}
{% endif %}

## Verdict (physics judge)

|{% for column in columns %} | {{ column }}{% endfor %} |
|---{% for column in columns %}|---{% endfor %}|
{% for row in verdict_rows %}
| {{ row.label }}{% for cell in row.cells %} | {{ cell }}{% endfor %} |
{% endfor %}
{% if capture %}

## Capture

Person {{ capture.person }}, cameras {{ capture.cameras }}.

| | |
|---|---|
{% for row in capture.rows %}
| {{ row.label }} | {{ row.cells[0] }} |
{% endfor %}
{% if capture.views %}

Reprojection error of the person's keypoints (px, mean over the detected keypoints):

| person | camera | before | after |
|---|---|---|---|
{% for v in capture.views %}
| {{ v.person }} | {{ v.camera }} | {{ v.before }} | {{ v.after }} |
{% endfor %}
{% endif %}
{% endif %}
{% if alignment %}

## Alignment

Contact from {{ alignment.contact_source }}; {{ "%.1f" | format(alignment.seconds) }} s.

| metric | before | after |
|---|---|---|
{% for row in alignment.rows %}
| {{ row.label }} | {{ row.cells[0] }} | {{ row.cells[1] }} |
{% endfor %}

What moved (translation in mm, x, y, z):

| | translation (mm) | rotation (deg) | scale |
|---|---|---|---|
{% for move in alignment.moves %}
| {{ move.what }} | {{ move.translation }} | {{ move.rotation }} | {{ move.scale }} |
{% endfor %}
{% endif %}
{% if forward %}

## Forward pass (tracking policy)

Task `{{ forward.task }}`, policy `{{ forward.policy }}`
{%- if forward.trained %}, trained for {{ forward.trained.iterations }} PPO iterations
in {{ forward.trained.seconds }} s (mean episode reward {{ forward.trained.reward_first }} at the first iteration,
{{ forward.trained.reward_last }} at the last)
{%- else %} (given){% endif %}.
The policy's humanoid stays {{ forward.mpjpe }} mm (MPJPE) from the aligned motion.

| object | drift during the rollout (m) | rotation (deg) |
|---|---|---|
{% for d in forward.drift %}
| {{ d.object }} | {{ d.displacement }} | {{ d.rotation }} |
{% endfor %}
{% endif %}
{% if robot %}

## Robot ({{ robot.name }})

| retarget | gap (mm) | into objects, max (mm) | into floor (mm) | skate (mm/frame) | limit violations | frames/s |
|---|---|---|---|---|---|---|
{% for r in robot.rows %}
| {{ r.method }} | {{ r.gap }} | {{ r.objects }} | {{ r.floor }} | {{ r.skate }} | {{ r.violations }} | {{ r.fps }} |
{% endfor %}
{% if robot.verdict %}

The robot judged among the objects (kinematic): {{ robot.verdict }}.
{% endif %}
{% endif %}
{% if reverse %}

## Reverse pass (regenerated objects)

| object | outcome | candidates (type, mask IoU with the observation) |
|---|---|---|
{% for r in reverse %}
| {{ r.object }} | {{ r.outcome }} | {{ r.candidates }} |
{% endfor %}
{% endif %}

## Pictures

{% for picture in pictures %}
### {{ picture.title }}

![{{ picture.title }}]({{ picture.path }})

{% endfor %}
## Files

{% for link in links %}
- [{{ link.title }}]({{ link.path }})
{% endfor %}

## Stages

| stage | status | seconds | finished |
|---|---|---|---|
{% for stage in stages %}
| {{ stage.name }} | {{ stage.status }} | {{ stage.seconds }} | {{ stage.finished }} |
{% endfor %}
"""

TABLE_STYLE = """\
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1em 0; }
img { max-width: 100%; border: 1px solid #ddd; }
"""
"""What both HTML pages (a run's report, a benchmark's table) style alike."""

HTML_TEMPLATE = (
    """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hsimul3r run: {{ case }}</title>
<style>
"""
    + TABLE_STYLE
    + """.verdict { font-size: 1.2em; }
</style>
</head>
<body>
<h1>hsimul3r run: {{ case }}</h1>
<p class="verdict"><strong>{{ headline }}.</strong></p>
<p>Input case: <code>{{ case_dir }}</code>.
Overrides:
{%- for o in overrides %} <code>{{ o }}</code>{% else %} none{% endfor %}.</p>
{% if warnings %}
<p>Warnings about the input:</p>
<ul>{% for w in warnings %}<li>{{ w }}</li>{% endfor %}</ul>
{% endif %}

<h2>Verdict (physics judge)</h2>
<table>
<tr><th></th>{% for column in columns %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in verdict_rows %}
<tr><td>{{ row.label }}</td>{% for cell in row.cells %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% if capture %}

<h2>Capture</h2>
<p>Person {{ capture.person }}, cameras {{ capture.cameras }}.</p>
<table>
{% for row in capture.rows %}
<tr><td>{{ row.label }}</td><td>{{ row.cells[0] }}</td></tr>
{% endfor %}
</table>
{% if capture.views %}
<p>Reprojection error of the person's keypoints (px, mean over the detected keypoints):</p>
<table>
<tr><th>person</th><th>camera</th><th>before</th><th>after</th></tr>
{% for v in capture.views %}
<tr><td>{{ v.person }}</td><td>{{ v.camera }}</td><td>{{ v.before }}</td><td>{{ v.after }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% endif %}
{% if alignment %}

<h2>Alignment</h2>
<p>Contact from {{ alignment.contact_source }}; {{ "%.1f" | format(alignment.seconds) }} s.</p>
<table>
<tr><th>metric</th><th>before</th><th>after</th></tr>
{% for row in alignment.rows %}
<tr><td>{{ row.label }}</td><td>{{ row.cells[0] }}</td><td>{{ row.cells[1] }}</td></tr>
{% endfor %}
</table>
<p>What moved (translation in mm, x, y, z):</p>
<table>
<tr><th></th><th>translation (mm)</th><th>rotation (deg)</th><th>scale</th></tr>
{% for move in alignment.moves %}
<tr><td>{{ move.what }}</td><td>{{ move.translation }}</td><td>{{ move.rotation }}</td><td>{{ move.scale }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% if forward %}

<h2>Forward pass (tracking policy)</h2>
<p>Task <code>{{ forward.task }}</code>, policy <code>{{ forward.policy }}</code>
{%- if forward.trained %}, trained for {{ forward.trained.iterations }} PPO iterations
in {{ forward.trained.seconds }} s (mean episode reward {{ forward.trained.reward_first }} at the first iteration,
{{ forward.trained.reward_last }} at the last)
{%- else %} (given){% endif %}.
The policy's humanoid stays {{ forward.mpjpe }} mm (MPJPE) from the aligned motion.</p>
<table>
<tr><th>object</th><th>drift during the rollout (m)</th><th>rotation (deg)</th></tr>
{% for d in forward.drift %}
<tr><td>{{ d.object }}</td><td>{{ d.displacement }}</td><td>{{ d.rotation }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% if robot %}

<h2>Robot ({{ robot.name }})</h2>
<table>
<tr><th>retarget</th><th>contact gap (mm)</th><th>into objects, max (mm)</th><th>into floor (mm)</th>
<th>skate (mm/frame)</th><th>limit violations</th><th>frames/s</th></tr>
{% for r in robot.rows %}
<tr><td>{{ r.method }}</td><td>{{ r.gap }}</td><td>{{ r.objects }}</td><td>{{ r.floor }}</td>
<td>{{ r.skate }}</td><td>{{ r.violations }}</td><td>{{ r.fps }}</td></tr>
{% endfor %}
</table>
{% if robot.verdict %}
<p>The robot judged among the objects (kinematic): {{ robot.verdict }}.</p>
{% endif %}
{% endif %}
{% if reverse %}

<h2>Reverse pass (regenerated objects)</h2>
<table>
<tr><th>object</th><th>outcome</th><th>candidates (type, mask IoU with the observation)</th></tr>
{% for r in reverse %}
<tr><td>{{ r.object }}</td><td>{{ r.outcome }}</td><td>{{ r.candidates }}</td></tr>
{% endfor %}
</table>
{% endif %}

<h2>Pictures</h2>
{% for picture in pictures %}
<figure><img src="{{ picture.path }}" alt="{{ picture.title }}"><figcaption>{{ picture.title }}</figcaption></figure>
{% endfor %}

<h2>Files</h2>
<ul>
{% for link in links %}
<li><a href="{{ link.path }}">{{ link.title }}</a></li>
{% endfor %}
</ul>

<h2>Stages</h2>
<table>
<tr><th>stage</th><th>status</th><th>seconds</th><th>finished</th></tr>
{% for stage in stages %}
<tr><td>{{ stage.name }}</td><td>{{ stage.status }}</td><td>{{ stage.seconds }}</td><td>{{ stage.finished }}</td></tr>
{% endfor %}
</table>
</body>
</html>
"""
)
