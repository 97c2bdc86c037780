// The "edits" scripts the Scratch VM and browser test projects share: one of each variable and list
// edit, started by the broadcast "edits".
import { addToList, changeVar, deleteAll, deleteOf, insertAt, replaceItem, setVar, whenReceived } from '../../examples/lib/project.js';

/** "when I receive [edits]": one of each list edit and two variable edits, on the stage's score and log. */
export const stageEdits = () =>
  [
    whenReceived('edits'),
    setVar('score', 10),
    changeVar('score', 5),
    addToList('log', 'a'),
    addToList('log', 'b'),
    insertAt('log', 1, 'first'),
    replaceItem('log', 2, 'second'),
    deleteOf('log', 3),
  ] as const;

/** The same for the sprite "Player"'s local hp and inv (ends with inv = ["bow"]). */
export const playerEdits = () =>
  [whenReceived('edits'), setVar('hp', 50), addToList('inv', 'sword'), addToList('inv', 'shield'), deleteAll('inv'), addToList('inv', 'bow')] as const;
