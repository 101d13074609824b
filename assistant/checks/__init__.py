"""The playbook rules, one module per concern; ``assistant.playbook`` is the public entry point.

- ``rules``: every rule's id, name, severity and the words shown to the agent (ko/en)
- ``doc``: one analysed draft (sentences, quoted parts, URLs) shared by all rules
- ``channel``: platform character counting and channel limits (C1)
- ``tone``: blame, overpromise, boundary, refund refusal, retention push, argue (F1-F6)
- ``privacy``: fabricated links and leaks (F7, F8)
- ``honorific``: Korean polite register from sentence-final endings (F9)
- ``required``: the required moves (R1-R6) and which apply to a situation and channel
- ``judge``: an optional LLM judge returning findings of the same shape
"""
