"""The ``llm`` step: one prompt to a model alias through the installation's gateway.

The attempt's idempotency key goes with the call, so a retry after a crash that happened after
the model answered gets the recorded answer instead of paying for a second call.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowwright.workflow.application.ports import LanguageModel, ModelRequest, StepCall
from flowwright.workflow.domain.runs.outcome import Outcome, Succeeded


@dataclass
class LlmStepExecutor:
    model: LanguageModel

    async def execute(self, call: StepCall) -> Outcome:
        config = call.config
        answer = await self.model.generate(
            ModelRequest(
                tenant_id=call.tenant_id,
                alias=str(config["model"]),
                prompt=str(config["prompt"]),
                system=str(config["system"]) if config.get("system") is not None else None,
                temperature=config.get("temperature"),
                max_tokens=config.get("max_tokens"),
                output_schema=config.get("output_schema"),
                run_id=call.run_id,
                step_key=call.step_key,
                workflow=call.workflow,
                idempotency_key=call.idempotency_key,
            )
        )
        return Succeeded(answer.output, details={"usage": answer.usage})
