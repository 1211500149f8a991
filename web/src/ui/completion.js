// Word completion for the code field: the word being typed (after the last '-' or space) is
// completed from the CLI's word list (completeWord). A listbox under the field shows up to
// eight words; Tab or a click takes one, Escape hides the list. The nameplate is never completed.
import { completeWord } from '../protocol/index.js';
import { clear, element } from './dom.js';

const MAX_SHOWN = 8;

export function attachCompletion(input, list) {
  let words = [];

  const hide = () => { words = []; clear(list); list.hidden = true; input.setAttribute('aria-expanded', 'false'); };

  const take = (word) => {
    const value = input.value;
    const cut = Math.max(value.lastIndexOf('-'), value.lastIndexOf(' '));
    input.value = `${value.slice(0, cut + 1)}${word}-`;
    hide();
    input.focus();
  };

  const refresh = () => {
    const value = input.value.toLowerCase();
    const cut = Math.max(value.lastIndexOf('-'), value.lastIndexOf(' '));
    const prefix = value.slice(cut + 1);
    if (cut < 0 || prefix.length === 0 || !/^[a-z]+$/.test(prefix)) { hide(); return; }
    words = completeWord(prefix).slice(0, MAX_SHOWN);
    if (words.length === 0 || (words.length === 1 && words[0] === prefix)) { hide(); return; }
    clear(list);
    words.forEach((word, i) => {
      const option = element('li', 'suggestion', word);
      option.setAttribute('role', 'option');
      option.id = `code-suggestion-${i}`;
      option.addEventListener('mousedown', (event) => { event.preventDefault(); take(word); });
      list.appendChild(option);
    });
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  };

  input.addEventListener('input', refresh);
  input.addEventListener('blur', hide);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Tab' && words.length > 0 && !event.shiftKey) { event.preventDefault(); take(words[0]); }
    if (event.key === 'Escape') hide();
  });
  return { hide };
}
