"""The mix of workflows the chaos tests run, and what each run of it must end with.

Chains of http steps (some through a sink path that applies the effect and then sleeps before
answering, so a fault can land between an effect and its checkpoint), transforms, a foreach over
http calls with max_concurrency, a parallel, a short delay, and an http step retried on injected
500s. ``SINK`` in a source stands for the test's sink; ``plan`` computes a run's inputs, outputs
and effects here rather than reading them from the engine.
"""

from __future__ import annotations

from engine_probe import EngineProbe, Planned

from sink import Sink

CHAIN = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: chaos-chain}
inputs:
  tag: {type: string, required: true}
  n: {type: integer, required: true}
outputs:
  total: ${{ steps.third.output.body.echo.value }}
  label: ${{ steps.label.output }}
steps:
  - id: first
    type: http
    method: POST
    url: "SINK/ok/${{ inputs.tag }}-first"
    body: {value: "${{ inputs.n + 1 }}"}
  - id: double
    type: transform
    needs: [first]
    output: ${{ steps.first.output.body.echo.value * 2 }}
  - id: second
    type: http
    needs: [double]
    method: POST
    url: "SINK/late/150/${{ inputs.tag }}-second"
    body: {value: "${{ steps.double.output + 3 }}"}
  - id: third
    type: http
    needs: [second]
    method: POST
    url: "SINK/late/150/${{ inputs.tag }}-third"
    body: {value: "${{ steps.second.output.body.echo.value * 10 }}"}
  - id: label
    type: transform
    needs: [third]
    output: "${{ inputs.tag }}:${{ steps.third.output.body.echo.value }}"
"""

FAN = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: chaos-fan}
inputs:
  tag: {type: string, required: true}
  items: {type: array, items: {type: integer}, required: true}
outputs:
  doubled: ${{ steps.each.output }}
  sides: ${{ steps.both.output }}
steps:
  - id: each
    type: foreach
    items: ${{ inputs.items }}
    max_concurrency: 2
    steps:
      - id: call
        type: http
        method: POST
        url: "SINK/late/100/${{ inputs.tag }}-each-${{ index }}"
        body: {item: "${{ item }}", index: "${{ index }}"}
      - id: twice
        type: transform
        needs: [call]
        output: ${{ steps.call.output.body.echo.item * 2 }}
  - id: both
    type: parallel
    needs: [each]
    branches:
      - name: left
        steps:
          - id: left_call
            type: http
            method: POST
            url: "SINK/late/100/${{ inputs.tag }}-left"
            body: {side: left}
          - id: left_side
            type: transform
            needs: [left_call]
            output: ${{ steps.left_call.output.body.echo.side }}
      - name: right
        steps:
          - id: right_call
            type: http
            method: POST
            url: "SINK/ok/${{ inputs.tag }}-right"
            body: {side: right}
          - id: right_side
            type: transform
            needs: [right_call]
            output: ${{ steps.right_call.output.body.echo.side }}
"""

TIMER = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: chaos-timer}
inputs:
  tag: {type: string, required: true}
outputs:
  done: ${{ steps.done.output }}
  status: ${{ steps.flaky.output.status }}
steps:
  - id: before
    type: http
    method: POST
    url: "SINK/late/100/${{ inputs.tag }}-before"
    body: {tag: "${{ inputs.tag }}"}
  - id: nap
    type: delay
    needs: [before]
    duration: 400ms
  - id: flaky
    type: http
    needs: [nap]
    method: POST
    url: "SINK/fail/2/${{ inputs.tag }}-flaky"
    body: {tag: "${{ inputs.tag }}", after: nap}
    retry: {max_attempts: 3, backoff: fixed, initial: 100ms, jitter: false}
  - id: done
    type: transform
    needs: [flaky]
    output: "${{ steps.flaky.output.body.echo.tag }} ok"
"""


def plan(index: int, tag: str) -> Planned:
    kind = index % 3
    if kind == 0:
        n = index
        first, second = n + 1, (n + 1) * 2 + 3
        third = second * 10
        return Planned(
            "chaos-chain",
            {"tag": tag, "n": n},
            {"total": third, "label": f"{tag}:{third}"},
            {
                "first": {"path": f"/ok/{tag}-first", "body": {"value": first}},
                "second": {"path": f"/late/150/{tag}-second", "body": {"value": second}},
                "third": {"path": f"/late/150/{tag}-third", "body": {"value": third}},
            },
        )
    if kind == 1:
        items = [index + i for i in range(3 + index % 3)]
        effects = {
            f"each[{i}]/call": {
                "path": f"/late/100/{tag}-each-{i}",
                "body": {"item": item, "index": i},
            }
            for i, item in enumerate(items)
        }
        effects["both/left/left_call"] = {"path": f"/late/100/{tag}-left", "body": {"side": "left"}}
        effects["both/right/right_call"] = {"path": f"/ok/{tag}-right", "body": {"side": "right"}}
        return Planned(
            "chaos-fan",
            {"tag": tag, "items": items},
            {"doubled": [2 * item for item in items], "sides": {"left": "left", "right": "right"}},
            effects,
        )
    return Planned(
        "chaos-timer",
        {"tag": tag},
        {"done": f"{tag} ok", "status": 200},
        {
            "before": {"path": f"/late/100/{tag}-before", "body": {"tag": tag}},
            "flaky": {"path": f"/fail/2/{tag}-flaky", "body": {"tag": tag, "after": "nap"}},
        },
    )


async def publish_workloads(probe: EngineProbe, sink: Sink) -> None:
    for source in (CHAIN, FAN, TIMER):
        await probe.publish(source.replace("SINK", sink.url))
