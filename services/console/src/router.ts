import { ref } from 'vue';

/** A hash router: `#/board`, `#/alerts/<id>`, `#/devices`, `#/devices/<id>`, `#/silences`, `#/deadletters`, `#/overview`. */
export const route = ref(parse());

function parse(): { name: string; id?: string } {
  const [name = 'board', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return rest.length ? { name, id: decodeURIComponent(rest.join('/')) } : { name: name || 'board' };
}

window.addEventListener('hashchange', () => (route.value = parse()));

export const go = (path: string) => (location.hash = `#/${path}`);
