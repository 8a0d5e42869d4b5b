"""needs_result_of: whether a later awaited call reads what an earlier one bound."""

import tree_sitter
import tree_sitter_typescript

from perfaudit.server.analysis.dataflow import needs_result_of

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_typescript.language_typescript()))

CODE = b"""
async function dashboard(userId: string, flags: { full: boolean }) {
  const { id, teamId } = await users.find(userId);
  const team = await teams.find(teamId);
  const label = `${team.name} (${id})`;
  await audit.log(label);
  await metrics.bump(userId);
  if (flags.full) {
    await teams.members(team);
  }
  const all = await Promise.all([a.one(userId), b.two(userId)]);
  return all;
}
"""


def _call(tree, text: str):
    start = CODE.index(text.encode())
    return tree.root_node.descendant_for_byte_range(start, start + len(text))


def test_what_a_call_reads_of_the_calls_before_it():
    tree = PARSER.parse(CODE)
    users, teams, audit, metrics, members, one = (_call(tree, t) for t in (
        "users.find(userId)", "teams.find(teamId)", "audit.log(label)", "metrics.bump(userId)",
        "teams.members(team)", "a.one(userId)"))
    assert needs_result_of(users, teams) is True  # a destructured name
    assert needs_result_of(teams, audit) is True  # through `label`, declared in between
    assert needs_result_of(audit, metrics) is False  # binds nothing
    assert needs_result_of(users, metrics) is False
    assert needs_result_of(teams, members) is True  # inside the `if` that holds it
    assert needs_result_of(metrics, one) is False
    assert needs_result_of(teams, users) is None  # not in that order
