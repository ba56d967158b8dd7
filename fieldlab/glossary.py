"""One word per concept: the English name in code and the Dutch word the user reads.

| code            | UI (nl)            |
|-----------------|--------------------|
| problem         | vraagstuk          |
| commissioner    | opdrachtgever      |
| participant     | deelnemer          |
| manager         | leidinggevende     |
| facilitator     | facilitator        |
| stakeholder     | stakeholder        |
| alumnus         | alumnus            |
| lab             | Field Lab / Lab    |
| team            | team               |
| challenge       | 100-dagenchallenge |
| board           | bord               |
| return_day      | terugkomdag        |
| evaluation      | evaluatie          |
| outbox          | uitgaande berichten|
| audit event     | logboekregel       |
"""
